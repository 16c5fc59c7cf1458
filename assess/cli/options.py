"""Options shared by several verbs: the history database, and the history options of `assess scan`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

history_option = click.option(
    "--history", "history_path", type=click.Path(path_type=Path, dir_okay=False),
    help="History database (default: $ASSESS_HOME/history.db or ~/.local/share/assess/history.db).")


def scan_history_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The history options of `assess scan` (its parameters history_path, no_history, wait, rescan_failed,
    trigger)."""
    f = click.option("--trigger", default="manual", hidden=True)(f)
    f = click.option("--rescan-failed", "rescan_failed", is_flag=False, flag_value="latest", default=None,
                     metavar="[RUN]",
                     help="复测: collect again only what was not 符合 in RUN (a run id or directory; default: "
                          "the latest run of this inventory), carry the rest forward.")(f)
    f = click.option("--wait", type=click.FloatRange(0), default=0, show_default=True, metavar="SECONDS",
                     help="When another scan writes into the same output directory, wait this long for it (else "
                          "exit 75). Scans into different directories run at once.")(f)
    f = click.option("--no-history", is_flag=True, help="Do not record this run in the history database.")(f)
    return history_option(f)
