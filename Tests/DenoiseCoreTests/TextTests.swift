import Foundation
import Testing
@testable import DenoiseCore

/// Tokenizer, vocabulary, the E2E CSV reader and meaning representations.
@Suite struct TokenizerTests {
    @Test func keepsCaseAndSplitsPunctuation() {
        #expect(Tokenizer.tokenize("The Eagle serves Italian food.") == ["The", "Eagle", "serves", "Italian", "food", "."])
        #expect(Tokenizer.tokenize("Near the river, it is cheap!") == ["Near", "the", "river", ",", "it", "is", "cheap", "!"])
        #expect(Tokenizer.tokenize("the EAGLE") == ["the", "EAGLE"])
    }

    @Test func hyphensCurrencyAndApostrophesAreTokensOfTheirOwn() {
        #expect(Tokenizer.tokenize("family-friendly") == ["family", "-", "friendly"])
        #expect(Tokenizer.tokenize("£20") == ["£", "20"])
        #expect(Tokenizer.tokenize("£20-25") == ["£", "20", "-", "25"])
        #expect(Tokenizer.tokenize("It's 5 out of 5.") == ["It", "'", "s", "5", "out", "of", "5", "."])
        #expect(Tokenizer.tokenize("(cheap)") == ["(", "cheap", ")"])
    }

    @Test func accentedWordsStayWhole() {
        #expect(Tokenizer.tokenize("Café Rouge") == ["Café", "Rouge"])
        #expect(Tokenizer.tokenize("Rainbow Vegetarian Café.") == ["Rainbow", "Vegetarian", "Café", "."])
        // A decomposed accent (e + U+0301) is one character and stays in its word.
        let decomposed = "Cafe\u{301} crème brûlée"
        let tokens = Tokenizer.tokenize(decomposed)
        #expect(tokens.count == 3 && tokens[0] == "Cafe\u{301}" && tokens[2] == "brûlée")
        #expect(Tokenizer.tokenize("naïve façade") == ["naïve", "façade"])
    }

    @Test func whitespaceIsDroppedAndEmptyTextGivesNoTokens() {
        #expect(Tokenizer.tokenize("") == [])
        #expect(Tokenizer.tokenize(" \t\n ") == [])
        #expect(Tokenizer.tokenize("  a \t b\r\nc  ") == ["a", "b", "c"])
        #expect(Tokenizer.tokenize("a\u{00A0}b") == ["a", "b"], "no-break space is whitespace")
    }

    @Test func joinIsTheInverseForTokenizedText() {
        let text = "The Golden Palace is a family - friendly coffee shop , £ 20 - 25 ."
        #expect(Tokenizer.join(Tokenizer.tokenize(text)) == text)
        #expect(Tokenizer.tokenize(Tokenizer.join(["Café", "Rouge", "."])) == ["Café", "Rouge", "."])
    }
}

@Suite struct VocabularyTests {
    let sentences = [["the", "pub", "is", "cheap", "."], ["the", "cafe", "is", "near", "the", "river", "."],
                     ["a", "pub", "."], ["Zebra"]]

    @Test func specialTokensComeFirst() {
        let v = Vocabulary(sentences: sentences, minCount: 1)
        #expect(Array(v.words.prefix(4)) == ["PAD", "START", "END", "UNK"])
        #expect(v.id("PAD") == Vocabulary.padID && v.id("START") == Vocabulary.startID)
        #expect(v.id("END") == Vocabulary.endID && v.id("UNK") == Vocabulary.unknownID)
    }

    @Test func minCountDropsRareWords() {
        let v = Vocabulary(sentences: sentences, minCount: 2)
        #expect(v.words == ["PAD", "START", "END", "UNK", ".", "the", "is", "pub"])
        #expect(!v.contains("Zebra") && v.id("Zebra") == Vocabulary.unknownID)
        let all = Vocabulary(sentences: sentences, minCount: 1)
        #expect(all.contains("Zebra") && all.count == 4 + 10)
    }

    @Test func idsAreMostFrequentFirstThenAlphabeticalAndDoNotDependOnOrder() {
        let v = Vocabulary(sentences: sentences, minCount: 1)
        // the:3 .:3 -> "." < "the"; then is:2, pub:2; then the rest alphabetical (uppercase first).
        #expect(Array(v.words[4...]) == [".", "the", "is", "pub", "Zebra", "a", "cafe", "cheap", "near", "river"])
        var rng = RandomSource(seed: 9)
        for _ in 0..<10 {
            var shuffled = sentences.map { $0 }
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, rng.int(below: i + 1)) }
            #expect(Vocabulary(sentences: shuffled, minCount: 1) == v)
        }
    }

    @Test func specialTokenSpellingsInTheCorpusAreNotDuplicated() {
        let v = Vocabulary(sentences: [["PAD", "END", "word", "UNK", "START"]], minCount: 1)
        #expect(v.words == ["PAD", "START", "END", "UNK", "word"])
    }

    @Test func encodeDecodeRoundTripWithPadding() throws {
        let v = Vocabulary(sentences: sentences, minCount: 1)
        let tokens = ["the", "pub", "is", "near", "the", "river", "."]
        let ids = try #require(v.encode(tokens, length: 12))
        #expect(ids.count == 12)
        #expect(ids[0] == Vocabulary.startID && ids[8] == Vocabulary.endID)
        #expect(ids[9...].allSatisfy { $0 == Vocabulary.padID })
        #expect(v.decode(ids) == tokens)
        // Exactly fitting: n + 2 == length.
        let tight = try #require(v.encode(tokens, length: tokens.count + 2))
        #expect(v.decode(tight) == tokens && tight.last == Vocabulary.endID)
        #expect(v.encode(tokens, length: tokens.count + 1) == nil, "too long for the length")
        #expect(v.decode(try #require(v.encode([], length: 3))) == [])
    }

    @Test func unknownWordsEncodeAsUNKAndDecodeStopsAtEndOrPad() {
        let v = Vocabulary(sentences: sentences, minCount: 1)
        let ids = v.encode(["the", "Klingon", "pub"], length: 8)!
        #expect(ids[2] == Vocabulary.unknownID)
        #expect(v.decode(ids) == ["the", "UNK", "pub"])
        let pub = v.id("pub"), the = v.id("the")
        #expect(v.decode([Vocabulary.startID, pub, Vocabulary.padID, the]) == ["pub"])
        #expect(v.decode([pub, Vocabulary.startID, the, Vocabulary.endID, pub]) == ["pub", "the"])
    }

    @Test func jsonRoundTripAndRejection() throws {
        let v = Vocabulary(sentences: sentences, minCount: 1)
        #expect(try Vocabulary.fromJSON(try v.toJSON(), file: "vocab.json") == v)
        let cases: [(String, String)] = [
            ("{\"a\": 1}", "array of strings"),
            ("[1, 2, 3]", "array of strings"),
            ("not json", "array of strings"),
            ("[\"START\", \"PAD\", \"END\", \"UNK\"]", "PAD, START, END, UNK"),
            ("[\"PAD\", \"START\", \"END\", \"UNK\", \"x\", \"x\"]", "twice"),
        ]
        for (text, keyword) in cases {
            do {
                _ = try Vocabulary.fromJSON(Data(text.utf8), file: "m/vocab.json")
                Issue.record("accepted \(text)")
            } catch let e as DenoiseError {
                #expect(e.description.hasPrefix("m/vocab.json: ") && e.description.contains(keyword), "\(e)")
            }
        }
    }
}

@Suite struct TrigramMeasureTests {
    @Test func distinctShareCountsRepeatedTrigramsAcrossSamples() {
        let a = ["the", "pub", "is", "cheap"], b = ["the", "pub", "is", "near"]
        #expect(TrigramIndex.distinctShare([a]) == 1)
        // 4 trigrams, "the pub is" twice: 3 distinct.
        #expect(TrigramIndex.distinctShare([a, b]) == 0.75)
        #expect(TrigramIndex.distinctShare([a, a, a]) == 2.0 / 6.0)
        #expect(TrigramIndex.distinctShare([["too", "short"]]) == 0)
    }

    @Test func shareCountsTrigramsSeenInTraining() {
        let index = TrigramIndex(sentences: [["the", "pub", "is", "cheap"]])
        #expect(index.share([["the", "pub", "is", "near"]]) == 0.5)
        #expect(index.sentences.contains("the pub is cheap"))
    }
}

@Suite struct CorpusTests {
    func parse(_ text: String) throws -> [[String]] { try CorpusReader.parseCSV(text, file: "t.csv") }

    @Test func plainAndQuotedFields() throws {
        #expect(try parse("a,b,c\n1,2,3\n") == [["a", "b", "c"], ["1", "2", "3"]])
        #expect(try parse("\"a\",b\n") == [["a", "b"]])
        #expect(try parse("a,,c\n") == [["a", "", "c"]])
        #expect(try parse("a,b") == [["a", "b"]], "no newline at the end")
        #expect(try parse("") == [])
    }

    @Test func doubledQuotesCommasAndNewlinesInsideQuotes() throws {
        #expect(try parse("\"say \"\"hi\"\"\",x\n") == [["say \"hi\"", "x"]])
        #expect(try parse("\"a, b\",c\n") == [["a, b", "c"]])
        #expect(try parse("\"line one\nline two\",c\n") == [["line one\nline two", "c"]])
        #expect(try parse("\"\"\"\"\n") == [["\""]])
        #expect(try parse("\"\",x\n") == [["", "x"]])
    }

    @Test func crlfLineEnds() throws {
        #expect(try parse("mr,ref\r\n\"a[b]\",\"c .\"\r\n") == [["mr", "ref"], ["a[b]", "c ."]])
    }

    @Test func unterminatedQuoteIsAnErrorNamingTheFile() {
        for text in ["\"open", "a,\"b\nc,d\n", "\"a\"\"\n"] {
            do {
                _ = try parse(text)
                Issue.record("accepted \(text.debugDescription)")
            } catch let e as DenoiseError {
                #expect(e.description.hasPrefix("t.csv: ") && e.description.contains("unterminated"), "\(e)")
            } catch {
                Issue.record("not a DenoiseError: \(error)")
            }
        }
    }

    func write(_ text: String, name: String) throws -> (String, String) {
        let dir = try TinyModel.temporaryDirectory()
        let path = (dir as NSString).appendingPathComponent(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return (dir, path)
    }

    @Test func e2eCSVGivesSentencesAndMeanings() throws {
        let csv = "mr,ref\n\"name[The Eagle], food[Italian]\",\"The Eagle serves Italian food .\"\n"
            + "\"name[Aromi], eatType[pub], area[riverside]\",\"Aromi is a pub, by the riverside.\"\n\n"
        let (dir, path) = try write(csv, name: "train.csv")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let examples = try CorpusReader.read(path: path)
        #expect(examples.count == 2)
        #expect(examples[0].text == "The Eagle serves Italian food .")
        #expect(examples[0].meaning?.values == ["name": "The Eagle", "food": "Italian"])
        #expect(examples[1].text == "Aromi is a pub, by the riverside.")
        #expect(examples[1].meaning?.values["area"] == "riverside")
    }

    @Test func csvWithoutRefColumnOrWithShortRowsIsRefused() throws {
        for (csv, keyword) in [("mr,text\na,b\n", "ref"), ("mr,ref\nonly-one-field\n", "row 2")] {
            let (dir, path) = try write(csv, name: "bad.csv")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            do {
                _ = try CorpusReader.read(path: path)
                Issue.record("accepted \(csv.debugDescription)")
            } catch let e as DenoiseError {
                #expect(e.description.contains("bad.csv") && e.description.contains(keyword), "\(e)")
            }
        }
    }

    @Test func plainTextIsOneSentencePerLine() throws {
        let (dir, path) = try write("  first line .  \n\n\r\nsecond line\n   \n", name: "corpus.txt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try CorpusReader.read(path: path).map(\.text) == ["first line .", "second line"])
    }

    @Test func emptyMissingAndNonUTF8FilesAreRefusedWithTheFileNamed() throws {
        let dir = try TinyModel.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let empty = (dir as NSString).appendingPathComponent("empty.txt")
        let blank = (dir as NSString).appendingPathComponent("blank.txt")
        let binary = (dir as NSString).appendingPathComponent("latin1.txt")
        let headerOnly = (dir as NSString).appendingPathComponent("header.csv")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        _ = FileManager.default.createFile(atPath: blank, contents: Data(" \n\n \n".utf8))
        _ = FileManager.default.createFile(atPath: binary, contents: Data([0xFF, 0xFE, 0x20, 0x62, 0x61, 0x64]))
        _ = FileManager.default.createFile(atPath: headerOnly, contents: Data("mr,ref\n".utf8))
        let missing = (dir as NSString).appendingPathComponent("missing.txt")
        for (path, keyword) in [(empty, "no sentences"), (blank, "no sentences"), (binary, "UTF-8"),
                                (headerOnly, "no sentences"), (missing, "no such file")] {
            do {
                _ = try CorpusReader.read(path: path)
                Issue.record("accepted \(path)")
            } catch let e as DenoiseError {
                #expect(e.description.hasPrefix(path) && e.description.contains(keyword), "\(e)")
            }
        }
    }
}

@Suite struct MeaningRepresentationTests {
    @Test func parsesFieldsAndValues() throws {
        let mr = try #require(MeaningRepresentation(parsing:
            "name[The Eagle], eatType[coffee shop], food[Italian], priceRange[£20-25], customer rating[5 out of 5], area[city centre], familyFriendly[no], near[Burger King]"))
        #expect(mr.values == ["name": "The Eagle", "eatType": "coffee shop", "food": "Italian", "priceRange": "£20-25",
                              "customer rating": "5 out of 5", "area": "city centre", "familyFriendly": "no",
                              "near": "Burger King"])
    }

    @Test func toleratesSpacingAndRejectsTextWithoutFields() {
        #expect(MeaningRepresentation(parsing: "  food[ Italian ] ,area[riverside]")?.values == ["food": "Italian", "area": "riverside"])
        #expect(MeaningRepresentation(parsing: "") == nil)
        #expect(MeaningRepresentation(parsing: "no fields here") == nil)
        #expect(MeaningRepresentation(parsing: "food[unclosed") == nil)
        #expect(MeaningRepresentation(parsing: "[orphan value]") == nil)
    }

    @Test func canonicalFieldNamesAreCaseAndSpaceInsensitive() {
        #expect(MeaningRepresentation.canonicalField("customer rating") == "customer rating")
        #expect(MeaningRepresentation.canonicalField("customerRating") == "customer rating")
        #expect(MeaningRepresentation.canonicalField("CUSTOMER_RATING") == "customer rating")
        #expect(MeaningRepresentation.canonicalField("Food") == "food")
        #expect(MeaningRepresentation.canonicalField("eattype") == "eatType")
        #expect(MeaningRepresentation.canonicalField("family friendly") == "familyFriendly")
        #expect(MeaningRepresentation.canonicalField("flavour") == nil)
        #expect(MeaningRepresentation.canonicalField("") == nil)
        #expect(MeaningRepresentation.fields.count == 8)
    }
}
