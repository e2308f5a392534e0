# The segmentation demo (epcl_s3dis_seg_demo.py) with the open-vocabulary point
# classifier: each point's feature is compared (cosine, learnt temperature) with the CLIP
# text embeddings of the class names (prompt-ensembled as EPCLClassifier does) instead of
# a fixed 1x1 convolution over 13 classes. EPCLClassNamesHook hands the model each data
# set's metainfo classes. docs/open_vocabulary.md has the measurement against the fixed
# head.
_base_ = ['../epcl_s3dis_seg_demo.py']

model = dict(
    backbone=dict(clip=dict(with_text=True)),  # the frozen CLIP text tower is kept
    decode_head=dict(cls_classifier=dict(
        type='EPCLTextEmbeddingClassifier',
        projection='linear',  # or 'clip': Linear to CLIP's width, then its ln_post + proj
        logit_scale_init=1 / 0.07)))

custom_hooks = [dict(type='EPCLClassNamesHook'),
                dict(type='EPCLModelSelectionHook', key='miou', rule='greater')]
