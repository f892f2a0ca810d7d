"""Campaign files.

the pydantic specs of a campaign (HTE, pathway, route) and their YAML/CSV readers.
"""
