"""Review pages: the queue, the workspace, the report, follow-ups and the survey."""
