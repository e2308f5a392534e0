from .s3dis_synthetic import create_demo_s3dis, generate_room

__all__ = ['create_demo_s3dis', 'generate_room']
