import Foundation

/// Decimal numbers read from bytes, exactly: plain decimals by the SWAR and Clinger fast paths,
/// everything else by strtod. Pure functions of their bytes, apart from the parser that calls them.
enum DecimalParser {
    /// A decimal number in `b[first..<last]` (surrounding blanks allowed): plain decimals by
    /// `plainDecimal`, everything else (exponents, long mantissas, "nan", "inf") by strtod; nil
    /// when the text is not a number (or is empty). Static, not a method: a method call on the
    /// parser (a mutating context) copied the whole parser for every number (seen in a profile).
    @inline(__always)
    static func number(
        _ b: UnsafeBufferPointer<UInt8>,
        _ first: Int,
        _ last: Int,
        powers: UnsafePointer<Double>
    ) -> Double? {
        var start = first
        var end = last
        while start < end && (b[start] == 32 || b[start] == 9) { start += 1 }
        while end > start && (b[end - 1] == 32 || b[end - 1] == 9) { end -= 1 }
        guard start < end, let base = b.baseAddress else { return nil }
        var i = start
        if b[i] == UInt8(ascii: "+") && i + 1 < end && b[i + 1] != UInt8(ascii: "-") { i += 1 }
        if let value = plainDecimal(base, &i, end, powers: powers), i == end { return value }
        return slowNumber(b, start, end)
    }

    /// Bytes kept free after the data in a read buffer: the 0 sentinel and the 8-byte reads of
    /// `shortDecimal` past it.
    static let slack = 16

    /// `[-]digits[.digits]` with at most 7 digits on each side of the point (most numbers in a
    /// drop), read eight bytes at a time: the digit run's length from a SWAR test, its value
    /// from the multiply-shift that turns eight ASCII digits into an integer. No branch per
    /// digit, whose mispredictions dominated a byte-at-a-time parse. nil (i unchanged) for
    /// anything else, which `plainDecimal` then reads; both give the same Double (the mantissa
    /// is below 10^14, so one correctly rounded division is exact). Reads up to 8 bytes past the
    /// number, which the buffer's slack allows.
    @inline(__always)
    static func shortDecimal(_ b: UnsafePointer<UInt8>, _ i: inout Int, powers: UnsafePointer<Double>) -> Double? {
        var j = i
        let negative = b[j] == UInt8(ascii: "-")
        if negative { j += 1 }
        let whole = UnsafeRawPointer(b + j).loadUnaligned(as: UInt64.self)
        let wholeDigits = leadingDigits(whole)
        guard wholeDigits < 8 else { return nil }
        var mantissa = digitsValue(whole, count: wholeDigits)
        j += wholeDigits
        var fractionDigits = 0
        if b[j] == UInt8(ascii: ".") {
            let fraction = UnsafeRawPointer(b + j + 1).loadUnaligned(as: UInt64.self)
            fractionDigits = leadingDigits(fraction)
            guard fractionDigits < 8 else { return nil }
            mantissa = mantissa &* UInt64(powers[fractionDigits]) &+ digitsValue(fraction, count: fractionDigits)
            j += 1 + fractionDigits
        }
        guard wholeDigits + fractionDigits > 0 else { return nil }
        i = j
        let value = fractionDigits > 0 ? Double(mantissa) / powers[fractionDigits] : Double(mantissa)
        return negative ? -value : value
    }

    /// How many of the word's bytes, from the first (lowest), are ASCII digits (8 if all). The
    /// first non-digit's flag is exact: borrows and carries only move to higher bytes.
    @inline(__always)
    static func leadingDigits(_ word: UInt64) -> Int {
        let t = word &- 0x3030_3030_3030_3030
        let nonDigit = ((t &+ 0x7676_7676_7676_7676) | t) & 0x8080_8080_8080_8080
        return nonDigit.trailingZeroBitCount >> 3
    }

    /// The integer the word's first `count` (0 to 7) bytes spell as ASCII digits: they are moved
    /// to the top (zeros below them read as leading zeros), then pairs, quads and the two
    /// halves are combined by three multiply-shifts.
    @inline(__always)
    static func digitsValue(_ word: UInt64, count: Int) -> UInt64 {
        var v = word << UInt64((8 - count) * 8)
        v = ((v & 0x0F0F_0F0F_0F0F_0F0F) &* 2561) >> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
        return ((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
    }

    /// `[-]digits[.digits]` from b[i] on, stopping at `end` or the first other byte (i is left
    /// there). The value when it is exact: at most 19 significant digits, a mantissa of at most
    /// 2^53 and a power of ten of at most 22, so one correctly rounded division gives the same
    /// Double as strtod (Clinger's fast path). nil otherwise, and when there is no digit; the
    /// caller then asks strtod. Shared by the fast row path and `number`.
    @inline(__always)
    static func plainDecimal(
        _ b: UnsafePointer<UInt8>,
        _ i: inout Int,
        _ end: Int,
        powers: UnsafePointer<Double>
    ) -> Double? {
        var negative = false
        if i < end && b[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var significant = 0
        var scale = 0
        var seenPoint = false
        while i < end {
            let d = b[i] &- 48
            if d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                digits += 1
                if mantissa != 0 { significant += 1 }
                if seenPoint { scale -= 1 }
            } else if d == 46 &- 48 && !seenPoint {  // '.'
                seenPoint = true
            } else {
                break
            }
            i += 1
        }
        guard digits > 0 && significant <= 19 && mantissa <= 1 << 53 && scale >= -22 else { return nil }
        var value = Double(mantissa)
        if scale < 0 { value /= powers[-scale] }
        return negative ? -value : value
    }

    /// Exponents, "nan", "inf" and anything unusual: the C library decides.
    @inline(never)
    static func slowNumber(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var text = Array(UnsafeBufferPointer(rebasing: b[start..<end]))
        text.append(0)
        return text.withUnsafeBufferPointer { p -> Double? in
            p.baseAddress?.withMemoryRebound(to: CChar.self, capacity: p.count) { s in
                var stop: UnsafeMutablePointer<CChar>?
                let value = strtod(s, &stop)
                guard let stop, stop == UnsafeMutablePointer(mutating: s) + (p.count - 1) else { return nil }
                return value
            } ?? nil
        }
    }
}

extension DecimalParser {
    /// 10⁰ … 10²², each exactly representable as a Double.
    static let exactPowersOfTen: [Double] = (0...22).map { Foundation.pow(10, Double($0)) }
}
