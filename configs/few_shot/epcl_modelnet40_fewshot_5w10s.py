# EPCL few-shot on ModelNet40, 5-way 10-shot (paper Table 3). Run all folds with
#   python tools/analysis_tools/run_few_shot.py <this config> --setting 5w10s \
#       --folds-dir data/modelnet40_normal_resampled/few_shot_folds
# which sets fold_file and num_classes per fold; the values below are fold 0,
# for a single run. The class names come from the fold (EPCLClassNamesHook).
_base_ = ['../epcl_modelnet40_cls.py']

setting = '5w10s'
way = 5
fold_file = f'few_shot_folds/{setting}/fold_0.json'  # relative to data_root

model = dict(num_classes=way, class_names=None)
train_dataloader = dict(
    batch_size=32,
    drop_last=False,  # 50-400 training shapes: keep them all
    dataset=dict(fold_file=fold_file))
val_dataloader = dict(dataset=dict(fold_file=fold_file))
test_dataloader = val_dataloader

# The paper does not state its few-shot schedule; 150 epochs (half the full
# schedule) with the same warm-up + cosine shape.
max_epochs = 150
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 10, eta_min=1e-6,
         by_epoch=True, begin=10, end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=50)
