"""The trajectory viewer (`toolforge view`) and the listing behind `toolforge trajectories list`."""

from toolforge.viewer.page import render_page
from toolforge.viewer.rows import RowFilter, ViewData, load_view_data

__all__ = ["RowFilter", "ViewData", "load_view_data", "render_page"]
