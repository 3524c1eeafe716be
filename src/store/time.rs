//! Civil time from epoch milliseconds (UTC), for what the store names and schedules by the
//! calendar: index file names (`yyyyMMddHHmmssSSS`) and the `deleteWhen` hour.

/// `(year, month, day, hour, minute, second, millisecond)` of `ms` after the epoch, UTC.
pub fn civil(ms: u64) -> (u64, u64, u64, u64, u64, u64, u64) {
    let days = ms / 86_400_000;
    let rem = ms % 86_400_000;
    let (y, m, d) = civil_from_days(days as i64);
    (
        y as u64,
        m,
        d,
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    )
}

/// The UTC hour of `ms`.
pub fn hour_of(ms: u64) -> u8 {
    (ms % 86_400_000 / 3_600_000) as u8
}

/// `yyyyMMddHHmmssSSS` of `ms` (`UtilAll.timeMillisToHumanString`).
pub fn file_name(ms: u64) -> String {
    let (y, mo, d, h, mi, s, milli) = civil(ms);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}{milli:03}")
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u64, u64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_calendar() {
        assert_eq!(file_name(0), "19700101000000000");
        // 2024-02-29T13:45:12.345Z
        assert_eq!(file_name(1_709_214_312_345), "20240229134512345");
        assert_eq!(hour_of(1_709_214_312_345), 13);
    }
}
