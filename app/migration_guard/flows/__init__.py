"""The steps of the action's two flows, each a function that returns its record as plain data.

``deploy.py`` and ``checkrun.py`` are the orchestrators: they call these steps in order, write the
returned records to the audit log, the summary and the outputs, and stop at a refusal. The steps
themselves never write an audit record (so each can be tested on its own).
"""
