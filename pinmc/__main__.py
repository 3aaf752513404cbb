from pinmc.cli import main

raise SystemExit(main())
