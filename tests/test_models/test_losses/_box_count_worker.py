"""One process of test_epcl_set_criterion_dist.py: the criterion on its half of a batch.

    python _box_count_worker.py RANK WORLD_SIZE PORT OUT_FILE
"""
import sys

import torch

SCENE_BOXES = (3, 1, 2, 0)  # ground-truth boxes per scene: 4 + 2 over two processes


def make_batch():
    """Seeded predictions (4 scenes x 6 queries, 3 classes) and targets with
    ``SCENE_BOXES`` boxes, as ``EPCLSetCriterion`` reads them."""
    from epcl_mmdet3d.models.task_modules import EPCL3DETRBoxCoder
    gen = torch.Generator().manual_seed(0)
    lo, hi = torch.zeros(3), torch.tensor([6.0, 6.0, 3.0])
    coder = EPCL3DETRBoxCoder()
    num_scenes, num_queries, num_classes = len(SCENE_BOXES), 6, 3
    centers = torch.rand(num_scenes, num_queries, 3, generator=gen) * (hi - lo) + lo
    sizes = torch.rand(num_scenes, num_queries, 3, generator=gen) + 0.3
    preds = dict(
        cls_logits=torch.randn(num_scenes, num_queries, num_classes + 1, generator=gen),
        corners=torch.cat([centers - sizes / 2, centers + sizes / 2], -1),
        center_normalized=(centers - lo) / (hi - lo),
        size_normalized=sizes / (hi - lo),
        angle_cls=torch.randn(num_scenes, num_queries, 1, generator=gen),
        angle_res_raw=torch.randn(num_scenes, num_queries, 1, generator=gen))
    targets = []
    for count in SCENE_BOXES:
        gt_centers = torch.rand(count, 3, generator=gen) * (hi - lo) + lo
        gt_sizes = torch.rand(count, 3, generator=gen) + 0.3
        tgt = coder.encode_targets(gt_centers, gt_sizes, torch.zeros(count), lo, hi)
        tgt['labels'] = torch.randint(0, num_classes, (count, ), generator=gen)
        targets.append(tgt)
    return preds, targets


def criterion():
    from epcl_mmdet3d.models.losses import EPCLSetCriterion
    return EPCLSetCriterion(
        num_classes=3, matcher=dict(type='EPCLHungarianMatcher', cost_giou=2.0,
                                    cost_class=1.0, cost_center=1.0))


def main(rank: int, world_size: int, port: int, out_file: str) -> None:
    import torch.distributed as dist
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
                            world_size=world_size)
    preds, targets = make_batch()
    per_rank = len(targets) // world_size
    mine = slice(rank * per_rank, (rank + 1) * per_rank)
    losses = criterion()({k: v[mine] for k, v in preds.items()}, targets[mine])
    torch.save({k: float(v) for k, v in losses.items()}, out_file)
    dist.destroy_process_group()


if __name__ == '__main__':
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
