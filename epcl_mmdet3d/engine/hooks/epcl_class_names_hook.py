"""Give a classifier the class names of the data set it runs on."""
from mmdet3d.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


@HOOKS.register_module()
class EPCLClassNamesHook(Hook):
    """Before training / validation / testing, read ``metainfo['classes']`` of the loop's data
    set and hand it to the model's ``set_class_names``.

    When the model already has class names (given in its config) they must
    equal the data set's; otherwise (few-shot folds, whose classes are drawn
    per fold) they are set here, and the CLIP text embeddings are computed
    once, at that moment.
    """

    priority = 'VERY_HIGH'

    def _sync(self, runner, loop) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'set_class_names'):
            raise TypeError(f'{type(model).__name__} has no set_class_names; '
                            'EPCLClassNamesHook is for EPCLClassifier')
        classes = list(loop.dataloader.dataset.metainfo.get('classes') or [])
        if not classes:
            raise ValueError('the data set has no metainfo classes to give the model')
        if model.class_names is not None:
            if list(model.class_names) != classes:
                raise ValueError(
                    f'model class_names {model.class_names} differ from the data '
                    f"set's classes {classes}; fix the config (or set class_names=None)")
            if model.text_align is None or bool(model.text_align.text_ready):
                return
        model.set_class_names(classes)

    def before_train(self, runner) -> None:
        self._sync(runner, runner.train_loop)

    def before_val(self, runner) -> None:
        self._sync(runner, runner.val_loop)

    def before_test(self, runner) -> None:
        self._sync(runner, runner.test_loop)
