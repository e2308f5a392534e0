from .epcl_random_cuboid_crop import EPCLRandomCuboidCrop

__all__ = ['EPCLRandomCuboidCrop']
