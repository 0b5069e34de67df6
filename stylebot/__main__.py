from stylebot.cli import main

raise SystemExit(main())
