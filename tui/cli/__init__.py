"""The command-line faces: argument parsing (``main``), ``run``, ``shell``, ``tenants``, ``login``, the demo."""
