from mission.cli import main

raise SystemExit(main())
