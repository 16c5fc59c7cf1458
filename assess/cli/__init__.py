"""The `assess` command line. Each verb lives in its own module and registers on `main`."""

from __future__ import annotations

import os
import sys

import click

from assess import __version__
from assess.errors import AssessError, LintErrors


class _Main(click.Group):
    """Turns AssessError into one clear message and its exit status; never a traceback for bad input.

    Every command runs under umask 077: run directories, reports, history and bundles hold root-only
    content (sudoers, crontabs, configuration), so whatever assess creates is private to its user.
    """

    def invoke(self, ctx: click.Context):
        umask = os.umask(0o077)
        try:
            return super().invoke(ctx)
        except LintErrors as exc:
            for line in exc.problems:
                click.echo(line, err=True)
            click.echo(f"assess: {len(exc.problems)} problem(s) found", err=True)
            sys.exit(exc.exit_code)
        except AssessError as exc:
            click.echo(f"assess: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("assess: interrupted", err=True)
            sys.exit(130)
        finally:
            os.umask(umask)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="assess")
def main() -> None:
    """等保2.0 (GB/T 22239-2019) level-3 self-assessment.

    Run `assess scan` to assess this machine against all 211 level-3 items.
    """


from assess.cli import bundle, controls, questionnaire, scan  # noqa: E402  (register the verbs)

main.add_command(scan.scan)
main.add_command(controls.controls)
main.add_command(questionnaire.questionnaire_cmd)
main.add_command(bundle.bundle)

from assess.cli import report as _report  # noqa: E402

main.add_command(_report.report)

from assess.cli import history as _history  # noqa: E402

main.add_command(_history.history_cmd)
main.add_command(_history.diff_cmd)
main.add_command(_history.schedule_cmd)

from assess.cli import collector as _collector  # noqa: E402

main.add_command(_collector.collector)
