package io.takeup.app.present

/**
 * A small JSON reader for the tests (the JVM test classpath has no JSON library; Android's
 * org.json is not on it either): objects → LinkedHashMap, arrays → List, numbers → Double,
 * plus String, Boolean and null.
 */
object MiniJson {
    fun parse(text: String): Any? {
        val p = Parser(text)
        p.ws()
        val v = p.value()
        p.ws()
        require(p.i == text.length) { "trailing data at ${p.i}" }
        return v
    }

    private class Parser(val s: String) {
        var i = 0

        fun ws() {
            while (i < s.length && s[i].isWhitespace()) i++
        }

        fun value(): Any? {
            ws()
            require(i < s.length) { "unexpected end" }
            return when (val c = s[i]) {
                '{' -> obj()
                '[' -> arr()
                '"' -> str()
                't' -> lit("true", true)
                'f' -> lit("false", false)
                'n' -> lit("null", null)
                else -> if (c == '-' || c.isDigit()) num() else error("unexpected '$c' at $i")
            }
        }

        fun lit(word: String, v: Any?): Any? {
            require(s.startsWith(word, i)) { "bad literal at $i" }
            i += word.length
            return v
        }

        fun num(): Double {
            val start = i
            while (i < s.length && (s[i].isDigit() || s[i] in "+-.eE")) i++
            return s.substring(start, i).toDouble()
        }

        fun str(): String {
            val sb = StringBuilder()
            i++ // opening quote
            while (true) {
                require(i < s.length) { "unterminated string" }
                val c = s[i++]
                when (c) {
                    '"' -> return sb.toString()
                    '\\' -> {
                        val e = s[i++]
                        when (e) {
                            '"', '\\', '/' -> sb.append(e)
                            'b' -> sb.append('\b')
                            'f' -> sb.append('\u000C')
                            'n' -> sb.append('\n')
                            'r' -> sb.append('\r')
                            't' -> sb.append('\t')
                            'u' -> {
                                sb.append(s.substring(i, i + 4).toInt(16).toChar())
                                i += 4
                            }
                            else -> error("bad escape at $i")
                        }
                    }
                    else -> sb.append(c)
                }
            }
        }

        fun arr(): List<Any?> = items(']', ArrayList<Any?>()) { it.add(value()) }

        fun obj(): Map<String, Any?> = items('}', LinkedHashMap<String, Any?>()) {
            ws()
            val k = str()
            ws()
            require(s[i++] == ':') { "expected : at ${i - 1}" }
            it[k] = value()
        }

        /** The items of an array or object: [item] reads each into [out] up to [close]. */
        private fun <T> items(close: Char, out: T, item: (T) -> Unit): T {
            i++
            ws()
            if (s[i] == close) {
                i++
                return out
            }
            while (true) {
                item(out)
                ws()
                when (s[i++]) {
                    ',' -> continue
                    close -> return out
                    else -> error("expected , or $close at ${i - 1}")
                }
            }
        }
    }
}
