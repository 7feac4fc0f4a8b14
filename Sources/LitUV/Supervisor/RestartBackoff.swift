/// When a supervised child that died is started again: after `initial`, doubling with each death in a row up to
/// `maximum`; a child that lived `healthyUptime` or longer before dying starts the count again.
struct RestartBackoff: Sendable, Equatable {
    let initial: Duration
    let maximum: Duration
    let healthyUptime: Duration
    /// Deaths in a row without a healthy uptime in between.
    private(set) var deathsInARow = 0

    init(initial: Duration, maximum: Duration, healthyUptime: Duration) {
        self.initial = initial
        self.maximum = maximum
        self.healthyUptime = healthyUptime
    }

    /// Records a death after `uptime` and returns how long to wait before the restart.
    mutating func delayAfterDeath(uptime: Duration) -> Duration {
        if uptime >= healthyUptime { deathsInARow = 0 }
        var delay = initial
        for _ in 0..<min(deathsInARow, 62) {
            if delay >= maximum { break }
            delay *= 2
        }
        deathsInARow += 1
        return min(delay, maximum)
    }
}
