from bulk_scheduler.cli.commands import main

main()
