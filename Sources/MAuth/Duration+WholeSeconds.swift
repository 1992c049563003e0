extension Duration {
    /// The whole seconds in the duration, truncated toward zero: MAuth's times are whole seconds.
    var wholeSeconds: Int64 { components.seconds }
}
