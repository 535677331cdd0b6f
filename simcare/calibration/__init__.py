"""Published NHS activity data for calibrating and checking simcare scenarios.

The data are copies, kept in the repository under ``calibration/data/`` with their provenance
(``calibration/data/SOURCES.md``): NHS England A&E, bed, criteria-to-reside and discharge
statistics for Bristol, North Somerset and South Gloucestershire (BNSSG), and the BNSSG ICB's
discharge-to-assess (IPACS) model inputs. Nothing here reads outside the repository.

:mod:`simcare.calibration.published` reads each file into a tidy :class:`pandas.DataFrame`
(checking columns, dates and counts, and raising
:class:`~simcare.calibration.published.DataError` naming the file and column at fault) and builds
:func:`~simcare.calibration.published.targets_apr_nov_2024`, the monthly published figures a
baseline BNSSG winter scenario is compared with. ``docs/bnssg_parameters.md`` derives the
scenario's parameter values from these readers.
"""

from simcare.calibration.published import DataError, targets_apr_nov_2024

__all__ = ["DataError", "targets_apr_nov_2024"]
