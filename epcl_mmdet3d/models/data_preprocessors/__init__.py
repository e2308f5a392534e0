"""Data preprocessors."""
from .epcl_points_data_preprocessor import EPCLPointsDataPreprocessor

__all__ = ['EPCLPointsDataPreprocessor']
