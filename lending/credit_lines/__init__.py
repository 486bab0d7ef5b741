"""
Credit-line actions (动态风险管理): freezing, cutting and restoring a
borrower's line, and delivering each change to the core system.

- services.py: credit_line_freeze, credit_line_cut, credit_line_restore,
  credit_lines_restore_due (the nightly restore after M months current),
  core_delivery_retry / core_deliveries_retry_failed (the manual retries).
- outbox.py:   the delivery of the outbox rows (claim, POST, backoff).
- tasks.py:    the beat's delivery task.
- views.py, urls.py, forms.py: the buttons on the account page and the
  "Core-system deliveries" page.

collection's strategies call the services; collection's nightly chain calls
credit_lines_restore_due (lending imports nothing of collection).
"""
