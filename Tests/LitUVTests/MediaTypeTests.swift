import Testing

@testable import LitUV

@Suite struct MediaTypeTests {
    @Test func typesAndParameterNamesAreCaseInsensitive() throws {
        let type = try #require(MediaType("  Multipart/Form-Data ; Boundary=AbC ;charset=UTF-8  "))
        #expect(type.type == "multipart" && type.subtype == "form-data")
        #expect(type.essence == "multipart/form-data")
        #expect(type[parameter: "boundary"] == "AbC")  // values are kept as sent
        #expect(type[parameter: "BOUNDARY"] == "AbC")
        #expect(type[parameter: "charset"] == "UTF-8")
        #expect(type[parameter: "missing"] == nil)
        #expect(type.parameters.map(\.name) == ["boundary", "charset"])
    }

    @Test func quotedStringValuesAreUnescaped() throws {
        let type = try #require(MediaType(#"text/plain; a="x \"y\" \\z"; b="";c="é;=,""#))
        #expect(type[parameter: "a"] == #"x "y" \z"#)
        #expect(type[parameter: "b"] == "")
        #expect(type[parameter: "c"] == "é;=,")
    }

    @Test func emptyParametersAreSkippedAndTheFirstOfARepeatedOneWins() throws {
        let type = try #require(MediaType("text/plain;;a=1; ;a=2;"))
        #expect(type.parameters.count == 2)
        #expect(type[parameter: "a"] == "1")
    }

    @Test func malformedValuesAreRefused() {
        for bad in [
            "", "text", "text/", "/plain", "te xt/plain", "text /plain", "text/ plain", "text/plain; a",
            "text/plain; a =1",
            "text/plain; a= 1", "text/plain; a=\"unterminated", "text/plain; a=1 b", "text/plain, text/html",
            "text/plain; a=\"ctl\u{1}\"", "text/plain; =1", "text(x)/plain",
        ] {
            #expect(MediaType(bad) == nil, "\(bad.debugDescription)")
        }
        #expect(MediaType(parsing: [0x61, 0x2F, 0x62, 0x3B, 0x20, 0x63, 0x3D, 0x22, 0xFF, 0x22]) == nil)  // not UTF-8
    }

    @Test func patternsMatchWithWildcards() throws {
        let png = try #require(MediaType("image/PNG; q=1"))
        #expect(png.matches("image/png"))
        #expect(png.matches("image/*"))
        #expect(png.matches("*/*"))
        #expect(png.matches("Image/Png; x=y"))  // parameters are not compared
        #expect(!png.matches("image/jpeg"))
        #expect(!png.matches("text/*"))
        #expect(!png.matches("not a type"))
        #expect(png.matches(MediaType(type: "IMAGE", subtype: "*")))
    }

    @Test func descriptionQuotesWhatIsNotAToken() throws {
        let type = MediaType(
            type: "Text",
            subtype: "Plain",
            parameters: [("Charset", "utf-8"), ("x", "a \"b\""), ("e", "")]
        )
        #expect(type.description == #"text/plain; charset=utf-8; x="a \"b\""; e="""#)
        #expect(MediaType(type.description) == type)
        #expect(MediaType("text/plain;charset=utf-8") == MediaType("TEXT/plain; CHARSET=utf-8"))
        #expect(MediaType("text/plain;charset=utf-8") != MediaType("text/plain;charset=UTF-8"))
        #expect(Set([MediaType("a/b;x=1"), MediaType("A/B; X=1")]).count == 1)
    }
}
