from tasksync.common.settings import ServiceSettings


class ReportsSettings(ServiceSettings):
    """The shared settings, the limits of a report and how long exports are kept."""

    # The longest `from`..`to` range a report covers, in days (longer is a 422).
    reports_max_days: int = 366
    # A finished export's file is kept this long, then deleted with its job.
    reports_export_ttl_hours: float = 24.0
    # How often the export worker looks for queued jobs when nothing woke it.
    reports_export_poll_interval: float = 5.0
    # A running job whose worker has not renewed its lease for this long is run again.
    reports_export_lease_seconds: float = 300.0
    # Tasks asked of the tasks service per page by a rebuild.
    reports_rebuild_page: int = 1000
