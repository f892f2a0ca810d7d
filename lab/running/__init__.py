"""Running campaigns.

the loop, the run ledger and batch runners, the executor, reconcile, leases and the
orchestrator.
"""
