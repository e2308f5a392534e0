"""Class names of a model whose head may classify by text (open vocabulary)."""
from typing import List, Optional, Sequence


class ClassNamesMixin:
    """``open_vocabulary``, ``class_names`` and ``set_class_names`` of a detector or
    segmentor, delegated to the head named by ``class_head_key`` (the head holds the
    classifier: a fixed one, or ``EPCLTextEmbeddingClassifier``).

    ``EPCLClassNamesHook`` calls ``set_class_names`` with the data set's
    ``metainfo['classes']``; :meth:`_take_dataset_classes` is the fallback of
    ``predict`` for models built by mmdet3d's ``init_model``, which sets
    ``dataset_meta`` and no hook.
    """

    class_head_key = 'bbox_head'

    @property
    def open_vocabulary(self) -> bool:
        """Whether the model names its classes by text (any names, no retraining)."""
        return bool(getattr(getattr(self, self.class_head_key), 'open_vocabulary', False))

    @property
    def class_names(self) -> Optional[List[str]]:
        """The names set by :meth:`set_class_names` (None before)."""
        return getattr(getattr(self, self.class_head_key), 'class_names', None)

    def set_class_names(self, names: Sequence[str]) -> None:
        """Classify into ``names`` from now on: any names with an open-vocabulary head
        (``<head>.cls_classifier``), else exactly the head's ``num_classes`` of them."""
        head = getattr(self, self.class_head_key)
        if not hasattr(head, 'set_class_names'):
            raise TypeError(f'{type(head).__name__} cannot change its classes; use one '
                            'of the EPCL heads (EPCL3DETRHead, EPCLSegHead)')
        head.set_class_names(names)

    def _take_dataset_classes(self) -> None:
        """An open-vocabulary head without names takes ``dataset_meta['classes']``."""
        if self.open_vocabulary and self.class_names is None:
            classes = (getattr(self, 'dataset_meta', None) or {}).get('classes')
            if classes:
                self.set_class_names(classes)
