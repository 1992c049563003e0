/// What the task serving an HTTP/1.1 connection or an HTTP/2 stream may do to it besides reading
/// its parts and writing its response.
protocol RequestStreamControl: Sendable {
    /// Closes the connection, or resets the stream.
    func close()

    /// Ends the reads: once the parts that have arrived are taken, the next read throws `error`.
    func failReads(_ error: any Error)

    /// Calls `callback` once the connection or stream has closed, at once if it has.
    func whenClosed(_ callback: @escaping @Sendable () -> Void)
}
