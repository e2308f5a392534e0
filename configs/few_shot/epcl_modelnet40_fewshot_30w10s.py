# EPCL few-shot on ModelNet40, setting 30w10s (see epcl_modelnet40_fewshot_5w10s.py).
_base_ = ['./epcl_modelnet40_fewshot_5w10s.py']

setting = '30w10s'
way = 30
fold_file = f'few_shot_folds/{setting}/fold_0.json'

model = dict(num_classes=way)
train_dataloader = dict(dataset=dict(fold_file=fold_file))
val_dataloader = dict(dataset=dict(fold_file=fold_file))
test_dataloader = val_dataloader
