"""``--show``: the headless PNGs, also shown in a window where a display exists."""
import os
import sys


def display_available() -> bool:
    """Whether a window can be opened (an X11 / Wayland display on Linux; always
    elsewhere)."""
    if sys.platform.startswith('linux'):
        return bool(os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY'))
    return True


def require_display(flag: str = '--show') -> None:
    """Stop, before any work, when ``flag`` asks for a window that cannot open."""
    if not display_available():
        raise RuntimeError(
            f'{flag} opens a window, but this machine has no display (DISPLAY and '
            'WAYLAND_DISPLAY are unset). Leave it out: the pictures are written as PNGs '
            '(--show-dir / --out / --output-dir) and can be opened anywhere')


def show_png(path: str, wait_time: float = 2.0) -> None:
    """Show a PNG in a matplotlib window.

    Args:
        path: the picture.
        wait_time: seconds it stays up; 0 or less waits until the window is closed
            (mmdet3d's ``--wait-time`` / ``--show-interval``).
    """
    import matplotlib.pyplot as plt
    from matplotlib.image import imread

    fig = plt.figure(os.path.basename(path), figsize=(12, 6))
    fig.add_axes((0, 0, 1, 1)).imshow(imread(path))
    fig.axes[0].set_axis_off()
    if wait_time > 0:
        plt.show(block=False)
        plt.pause(wait_time)
    else:
        plt.show()
    plt.close(fig)
