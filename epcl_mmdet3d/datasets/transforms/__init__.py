"""Point cloud transforms for classification and detection."""
from .epcl_load_points_from_file import EPCLLoadPointsFromFile
from .epcl_normalize_unit_sphere import EPCLNormalizeUnitSphere
from .epcl_pack_cls_inputs import EPCLPackClsInputs
from .epcl_point_sample import EPCLPointSample
from .epcl_random_cuboid_crop import EPCLRandomCuboidCrop
from .epcl_scale_translate import EPCLScaleTranslate
from .epcl_semantic_class_subset import EPCLSemanticClassSubset

__all__ = [
    'EPCLLoadPointsFromFile', 'EPCLNormalizeUnitSphere', 'EPCLPackClsInputs', 'EPCLPointSample',
    'EPCLRandomCuboidCrop', 'EPCLScaleTranslate', 'EPCLSemanticClassSubset'
]
