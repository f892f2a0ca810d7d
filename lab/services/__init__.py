"""The service layer: the one API that the CLI and the web app (pages and REST API) call.

One module per concern, each a handful of small typed functions:

========================  =====================================================
:mod:`.actor`             who decides, and from where (``cli``, ``web``, ``api``)
:mod:`.campaigns`         load a campaign file, create/resume, list, summarize, show
:mod:`.planning`          plan and preview the next batch (the loop's own planning call)
:mod:`.review`            proposals awaiting approval; approve (with edits), reject, batch
:mod:`.control`           pause, resume, abort a campaign
:mod:`.protocols`         compile and pre-flight a plate protocol
:mod:`.attention`         experiments that need a person; settle them
:mod:`.devices`           devices of the stored labs; in and out of service
:mod:`.experiments`       pages of a campaign's experiments, one experiment, with results
:mod:`.plots`             the sample of completed experiments a campaign's plots draw
:mod:`.exports`           experiments (CSV streamed, Parquet), events, model reports, ORD
:mod:`.provenance`        one experiment's whole chain, for a reviewer
:mod:`.events`            the audit trail by cursor (live updates, ``GET /events``), a log page
:mod:`.imports`           prior results for a warm start
:mod:`.models`            the campaign's model: predictions for unmeasured candidates
:mod:`.database`          check (and upgrade) a database
:mod:`.accounts`          accounts and API tokens of the web app
========================  =====================================================

Every function that records a decision takes an explicit :class:`~.actor.Actor`
and writes its name and source into the audit trail; roles are checked by the
web layer before it calls. Services reach the database only through
``datastore/`` functions and never import the CLI or the web app.
"""
