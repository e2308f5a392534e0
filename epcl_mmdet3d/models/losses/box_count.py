"""The box-count normaliser of 3DETR's set losses, the same on one GPU and on several."""
import torch
from mmengine.dist import all_reduce, get_world_size


def mean_box_count(num_boxes: int, device: torch.device) -> float:
    """The number of ground-truth boxes to divide the summed box losses by.

    In a distributed run, the mean over the processes of their box counts (one
    all-reduce), as 3DETR's criterion (``all_reduce_average`` of the batch's box count):
    each process divides its sum by the same number, so DDP's average of the gradients
    equals the gradient of one process holding every scene (sum of all box losses / all
    boxes). Alone, the count itself. Clamped to at least 1 (a batch without boxes).

    Every process must call it the same number of times (each decoder layer's loss
    calls it once), as for any collective.

    Args:
        num_boxes: boxes in this process's batch (labels -1 not counted).
        device: where the count is reduced (the loss's device; mmengine moves it to
            the communication backend's device if needed).

    Returns:
        the normaliser, >= 1.
    """
    if get_world_size() == 1:
        return float(max(num_boxes, 1))
    count = torch.tensor(float(num_boxes), dtype=torch.float64, device=device)
    all_reduce(count, op='mean')
    return max(float(count), 1.0)
