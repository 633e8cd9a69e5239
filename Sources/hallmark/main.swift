import HallmarkCLI

HallmarkCommand.main()
