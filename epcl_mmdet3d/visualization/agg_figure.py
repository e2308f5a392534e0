"""Figures drawn straight onto matplotlib's Agg canvas.

Neither pyplot nor the global backend is touched, so importing or calling the renderers
leaves a user's interactive matplotlib set-up as it was, and no display is needed.
"""
from typing import Tuple

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mpl_toolkits.mplot3d import Axes3D  # noqa: F401  (registers the '3d' projection)


def agg_figure(figsize: Tuple[float, float]) -> Figure:
    """A new figure with its own Agg canvas (``savefig`` writes PNGs headless)."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig
