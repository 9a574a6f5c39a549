"""The two jobs of the library: the dry run (``dry_run``) and the launch
(``orchestrator``), with the executor and the journal that owns what happened to each row."""
