# EPCL few-shot on ModelNet40, "16-shot" over all 40 classes, paper Table 5
# (see epcl_modelnet40_fewshot_5w10s.py). The folds of this setting test on
# the whole test split by default (make_few_shot_folds.py --test-per-class).
_base_ = ['./epcl_modelnet40_fewshot_5w10s.py']

setting = '16shot'
way = 40
fold_file = f'few_shot_folds/{setting}/fold_0.json'

model = dict(num_classes=way)
train_dataloader = dict(dataset=dict(fold_file=fold_file))
val_dataloader = dict(dataset=dict(fold_file=fold_file))
test_dataloader = val_dataloader
