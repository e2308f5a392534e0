"""Give a model the class names of the data set it runs on."""
from typing import List, Optional

from mmdet3d.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


@HOOKS.register_module()
class EPCLClassNamesHook(Hook):
    """Before training / validation / testing, read ``metainfo['classes']`` of the loop's data
    set and hand it to the model's ``set_class_names``.

    - ``EPCLClassifier``: when the model already has class names (given in its config)
      they must equal the data set's; otherwise (few-shot folds, whose classes are drawn
      per fold) they are set here, and the CLIP text embeddings are computed once, at that
      moment.
    - ``EPCL3DETRDetector`` / ``EPCLEncoderDecoder3D``: the model takes the data set's
      classes, so a config that changes ``metainfo.classes`` of the test data set
      changes what an open-vocabulary head (``cls_classifier``) detects or segments,
      with no retraining; a fixed head accepts only as many names as it has classes.
      After a validation run inside training, the training classes are set back (an
      open-vocabulary protocol validates on other classes than it trains on).
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._train_classes: Optional[List[str]] = None

    @staticmethod
    def _model(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'set_class_names'):
            raise TypeError(f'{type(model).__name__} has no set_class_names; '
                            'EPCLClassNamesHook is for EPCLClassifier, EPCL3DETRDetector '
                            'and EPCLEncoderDecoder3D')
        return model

    def _sync(self, runner, loop) -> List[str]:
        model = self._model(runner)
        classes = list(loop.dataloader.dataset.metainfo.get('classes') or [])
        if not classes:
            raise ValueError('the data set has no metainfo classes to give the model')
        if hasattr(model, 'text_align'):  # EPCLClassifier: names fixed by its config
            if model.class_names is not None:
                if list(model.class_names) != classes:
                    raise ValueError(
                        f'model class_names {model.class_names} differ from the data '
                        f"set's classes {classes}; fix the config (or set class_names=None)")
                if model.text_align is None or bool(model.text_align.text_ready):
                    return classes
        model.set_class_names(classes)
        return classes

    def before_train(self, runner) -> None:
        self._train_classes = self._sync(runner, runner.train_loop)

    def before_val(self, runner) -> None:
        self._sync(runner, runner.val_loop)

    def after_val(self, runner) -> None:
        model = self._model(runner)
        if self._train_classes is not None and not hasattr(model, 'text_align'):
            model.set_class_names(self._train_classes)

    def before_test(self, runner) -> None:
        self._sync(runner, runner.test_loop)
