import Testing

extension Tag {
    /// Encodes or decodes real video (seconds each): left out of `scripts/test.sh --fast`.
    @Tag static var media: Self
    /// Runs the `hallmark` executable, often several processes at once: left out of `--fast`.
    @Tag static var endToEnd: Self
}
