"""The chemist's workbench: REST API (``/api/v1``) and server-rendered pages over one datastore.

``create_app(store)`` builds the FastAPI app; ``dbtl serve`` runs it with
uvicorn. Every decision goes through the same service functions as the
command line (``lab.review.decisions``, ``lab.review.control``, ``lab.review.attention``), under the
signed-in account.
"""

from lab.web.app import create_app

__all__ = ["create_app"]
