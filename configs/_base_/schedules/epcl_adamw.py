# The paper's optimiser (section 4.1): AdamW, lr 3e-4, weight decay 0.04 "for the whole
# experiment". EPCLOptimWrapperConstructor hands only the trainable parameters (tokenizer,
# task tokens, head) to it: the frozen CLIP gets no optimizer state. Schedules (warm-up,
# cosine, epochs) differ per task and live in the task configs.
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='EPCLOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=3e-4, weight_decay=0.04))
