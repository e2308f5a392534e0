from .room_generator import S3DIS_CLASSES, SyntheticRoom, generate_room
from .s3dis_writer import (create_demo_s3dis, scene_idxs_and_label_weight,
                           write_s3dis_area)

__all__ = [
    'S3DIS_CLASSES', 'SyntheticRoom', 'generate_room', 'create_demo_s3dis',
    'scene_idxs_and_label_weight', 'write_s3dis_area'
]
