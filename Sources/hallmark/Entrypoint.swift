import HallmarkCLI

/// The `hallmark` executable: the commands live in HallmarkCLI.
@main
struct Entrypoint {
    static func main() async {
        await HallmarkCommand.main()
    }
}
