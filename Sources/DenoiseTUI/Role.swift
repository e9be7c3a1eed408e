/// What a cell means, not how it looks: panels tag cells with a role and the theme decides the
/// colours, so a colour-blind-safe or monochrome theme changes every panel at once.
public enum Role: String, CaseIterable, Sendable, Codable {
    case text
    case dim
    case header
    case footer
    /// Key names in the footer and the help overlay.
    case key
    case title
    case border
    /// A token that changed at this step.
    case changed
    /// A token that has not changed for a while.
    case lockedIn
    /// A token whose rounding margin is small: it could still flip.
    case uncertain
    /// Anything steered by a control: guided words, active controls.
    case guided
    case bar
    /// Cursors: the current step on a sparkline.
    case highlight
    /// The selected item: inspected position, menu entry.
    case selected
    case error
}
