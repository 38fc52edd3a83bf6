from bulletin.cli import main

raise SystemExit(main())
