using System.Globalization;
using System.Numerics;
using CityOS.Catalog.Ckan;
using CityOS.Catalog.Search;

namespace CityOS.Catalog.Storage;

/// <summary>A package as the search index keeps it, read from the catalog's SQLite file.</summary>
/// <param name="Revision">The write that gave the package this state (packages.rev).</param>
/// <param name="Tags">The package's tags, each once; <paramref name="TagText"/> is the text they are searched in.</param>
/// <param name="Formats">Its resources' formats, each once whatever its case.</param>
internal sealed record IndexedEntry(
    long Revision,
    long Seq,
    string Id,
    string Name,
    string? OwnerOrg,
    bool Private,
    string State,
    string MetadataModified,
    string MetadataCreated,
    string? LicenseId,
    string Title,
    string Notes,
    string TagText,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> Formats,
    PackageJson Json)
{
    public bool Active => State == "active";

    /// <summary>The times as ticks, to sort on (they are stored in one fixed format, so their order is the text's).</summary>
    public long ModifiedTicks { get; } = Ticks(MetadataModified);

    public long CreatedTicks { get; } = Ticks(MetadataCreated);

    /// <summary>The texts a query's words are looked for in, in lower case: a match is any run of characters, Japanese or not.</summary>
    public string TitleText { get; } = Title.ToLowerInvariant();

    public string NotesText { get; } = Notes.ToLowerInvariant();

    public string TagsText { get; } = TagText.ToLowerInvariant();

    private static long Ticks(string at) =>
        DateTime.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time) ? time.Ticks : 0;
}

/// <summary>An organization as the search index keeps it: its name (organization:x and the facet) and its stored dictionary.</summary>
internal sealed record IndexedOrganization(long Revision, string Id, string Name, string Json);

/// <summary>What the index answers for a search: the page's packages in order, the organizations of those, the total and the facets.</summary>
internal sealed record IndexPage(long Count, IReadOnlyList<PackageJson> Results, IReadOnlyDictionary<string, string> OrganizationJson, IReadOnlyDictionary<string, IReadOnlyList<KeyValuePair<string, long>>> Facets);

/// <summary>
/// The search index of one tenant's catalog, in memory and derived from its SQLite file, which stays the store of record:
/// it is filled from the rows written after the last ones it has (every write gives its row the next revision), so it
/// follows writes of this process and of any other on the same file. A search costs no SQL and no JSON parsing: words are
/// looked up in postings of every one-, two- and three-character run of the texts and confirmed in the texts (the same
/// matches as SQLite's trigram and LIKE search: any run of characters, whatever its case), fields in postings of their
/// values, and the page's dictionaries are written as they were encoded when read.
/// </summary>
/// <remarks>
/// A changed package gets a new slot; the old one stays in the postings, unused, until the slots are compacted. Searches
/// read under a shared lock, changes are applied under an exclusive one.
/// </remarks>
internal sealed class CatalogIndex
{
    private const int MaxGram = 3;

    /// <summary>Up to this many matches are ranked on their own; more are read off an order of every package (<see cref="OrderOf"/>).</summary>
    private const int SmallResult = 64;

    /// <summary>Most orders of every package kept at a time (one per sort a search asks for).</summary>
    private const int MaxOrders = 16;

    /// <summary>Most words whose hits are kept at a time.</summary>
    private const int MaxWords = 1024;

    private readonly ReaderWriterLockSlim _lock = new();
    private readonly List<IndexedEntry?> _slots = [];
    private readonly Dictionary<string, int> _slotOfId = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, List<int>> _grams = [];
    private readonly Dictionary<string, List<int>> _tags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _formats = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<int>> _licenses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _owners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IndexedOrganization> _organizations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _organizationIdOfName = new(StringComparer.Ordinal);
    private ulong[] _active = [];
    private ulong[] _activePublic = [];
    private int _unused;

    /// <summary>Every package's slot in the order of some sort keys, by the keys; built when a search first needs it, dropped by any change.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int[]> _orders = new(StringComparer.Ordinal);

    /// <summary>Where words (in lower case) were found, as searches asked for them; dropped by any change.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, WordHits> _wordHits = new(StringComparer.Ordinal);

    /// <summary>The slots whose title, description or tags hold a word (a bit per slot each), and those whose title, tags, description do.</summary>
    private sealed record WordHits(ulong[] Any, ulong[] Title, ulong[] Tags, ulong[] Notes);

    /// <summary>Taken while the index reads the rows written since its revisions (one reader at a time).</summary>
    public SemaphoreSlim Refreshing { get; } = new(1, 1);

    public long PackageRevision { get; private set; }

    public long OrganizationRevision { get; private set; }

    /// <summary>Applies packages and organizations written since the index's revisions, in revision order.</summary>
    public void Apply(IReadOnlyList<IndexedOrganization> organizations, IReadOnlyList<IndexedEntry> packages)
    {
        _lock.EnterWriteLock();
        try
        {
            foreach (var organization in organizations)
            {
                if (_organizations.TryGetValue(organization.Id, out var previous)) _organizationIdOfName.Remove(previous.Name);
                _organizations[organization.Id] = organization;
                _organizationIdOfName[organization.Name] = organization.Id;
                OrganizationRevision = Math.Max(OrganizationRevision, organization.Revision);
            }
            foreach (var package in packages)
            {
                if (_slotOfId.TryGetValue(package.Id, out var previous))
                {
                    _slots[previous] = null;
                    Clear(_active, previous);
                    Clear(_activePublic, previous);
                    _unused++;
                }
                Add(package);
                PackageRevision = Math.Max(PackageRevision, package.Revision);
            }
            if (_unused > 1000 && _unused > _slotOfId.Count) Compact();
            _orders.Clear();
            _wordHits.Clear();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public IndexPage Search(CatalogSearch search)
    {
        _lock.EnterReadLock();
        try
        {
            return new Evaluation(this, search).Run();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Every package's slot in the order of <paramref name="keys"/> (then seq); null when too many orders are kept already.</summary>
    private int[]? OrderOf(SortKey[] keys)
    {
        var name = string.Join(",", keys.Select(key => key.Field + (key.Descending ? " desc" : " asc")));
        if (_orders.TryGetValue(name, out var known)) return known;
        if (_orders.Count >= MaxOrders) return null;
        var order = _slotOfId.Values.ToArray();
        Array.Sort(order, new SlotOrder(this, keys, null));
        return _orders.GetOrAdd(name, order);
    }

    private void Add(IndexedEntry package)
    {
        var slot = _slots.Count;
        _slots.Add(package);
        _slotOfId[package.Id] = slot;
        var words = (slot >> 6) + 1;
        if (_active.Length < words)
        {
            Array.Resize(ref _active, Math.Max(words, _active.Length * 2));
            Array.Resize(ref _activePublic, _active.Length);
        }
        if (package.Active) Set(_active, slot);
        if (package.Active && !package.Private) Set(_activePublic, slot);
        var grams = new HashSet<ulong>();
        foreach (var text in new[] { package.TitleText, package.NotesText, package.TagsText })
        {
            for (var at = 0; at < text.Length; at++)
            {
                for (var length = 1; length <= MaxGram && at + length <= text.Length; length++) grams.Add(Gram(text.AsSpan(at, length)));
            }
        }
        foreach (var gram in grams) Posting(_grams, gram).Add(slot);
        foreach (var tag in package.Tags) Posting(_tags, tag).Add(slot);
        foreach (var format in package.Formats) Posting(_formats, format).Add(slot);
        if (package.LicenseId is { } license) Posting(_licenses, license).Add(slot);
        if (package.OwnerOrg is { } owner) Posting(_owners, owner).Add(slot);
    }

    /// <summary>Gives the packages new slots without the unused ones.</summary>
    private void Compact()
    {
        var current = _slots.OfType<IndexedEntry>().ToList();
        _slots.Clear();
        _slotOfId.Clear();
        foreach (var postings in new[] { _tags, _formats, _licenses, _owners }) postings.Clear();
        _grams.Clear();
        Array.Clear(_active);
        Array.Clear(_activePublic);
        _unused = 0;
        foreach (var package in current) Add(package);
    }

    private static List<int> Posting<TKey>(Dictionary<TKey, List<int>> postings, TKey key) where TKey : notnull
    {
        if (!postings.TryGetValue(key, out var posting)) postings[key] = posting = [];
        return posting;
    }

    /// <summary>A run of one to three characters as one number: the characters and the length.</summary>
    private static ulong Gram(ReadOnlySpan<char> run)
    {
        var gram = (ulong)run.Length << 48;
        for (var i = 0; i < run.Length; i++) gram |= (ulong)run[i] << (16 * i);
        return gram;
    }

    private static void Set(ulong[] bits, int slot) => bits[slot >> 6] |= 1UL << slot;

    private static void Clear(ulong[] bits, int slot) => bits[slot >> 6] &= ~(1UL << slot);

    private static bool IsSet(ulong[] bits, int slot) => (bits[slot >> 6] & (1UL << slot)) != 0;

    /// <summary>One search over the index as it is (under the shared lock): the bits of the matching slots, then the page and facets.</summary>
    private sealed class Evaluation(CatalogIndex index, CatalogSearch search)
    {
        private readonly int _words = (index._slots.Count + 63) >> 6;

        public IndexPage Run()
        {
            var matches = Visible();
            And(matches, Evaluate(search.Query));
            foreach (var filter in search.Filters) And(matches, Evaluate(filter));
            long count = 0;
            foreach (var word in matches) count += BitOperations.PopCount(word);

            var results = new List<PackageJson>();
            var organizations = new Dictionary<string, string>(StringComparer.Ordinal);
            if (search.Rows > 0 && count > search.Start)
            {
                foreach (var slot in Page(matches, count))
                {
                    var package = index._slots[slot]!;
                    results.Add(package.Json);
                    if (package.OwnerOrg is { } owner && index._organizations.TryGetValue(owner, out var organization)) organizations.TryAdd(owner, organization.Json);
                }
            }
            var facets = new Dictionary<string, IReadOnlyList<KeyValuePair<string, long>>>(StringComparer.Ordinal);
            foreach (var field in search.FacetFields.Distinct(StringComparer.Ordinal)) facets[field] = Facet(field, matches);
            return new IndexPage(count, results, organizations, facets);
        }

        /// <summary>The slots the caller may see: active packages, public or (with include_private) private ones of the organizations allowed.</summary>
        private ulong[] Visible()
        {
            var visible = new ulong[_words];
            if (!search.IncludePrivate) Array.Copy(index._activePublic, visible, _words);
            else if (search.PrivateOrgs is null) Array.Copy(index._active, visible, _words);
            else
            {
                Array.Copy(index._activePublic, visible, _words);
                foreach (var org in search.PrivateOrgs)
                {
                    if (!index._owners.TryGetValue(org, out var posting)) continue;
                    foreach (var slot in posting)
                    {
                        if (IsSet(index._active, slot)) Set(visible, slot);
                    }
                }
            }
            return visible;
        }

        private ulong[] Evaluate(QueryNode node)
        {
            switch (node)
            {
                case AllNode:
                    return All();
                case TextNode text:
                    return Hits(text.Text).Any;
                case FieldNode field:
                    return Field(field);
                case RangeNode range:
                    return Where(package =>
                    {
                        var at = range.Field == "metadata_created" ? package.MetadataCreated : package.MetadataModified;
                        return (range.From is null || (range.FromInclusive ? string.CompareOrdinal(at, range.From) >= 0 : string.CompareOrdinal(at, range.From) > 0))
                            && (range.To is null || (range.ToInclusive ? string.CompareOrdinal(at, range.To) <= 0 : string.CompareOrdinal(at, range.To) < 0));
                    });
                case AndNode and:
                    var all = All();
                    foreach (var part in and.Parts) And(all, Evaluate(part));
                    return all;
                case OrNode or:
                    var any = new ulong[_words];
                    foreach (var part in or.Parts)
                    {
                        var bits = Evaluate(part);
                        for (var i = 0; i < _words; i++) any[i] |= bits[i];
                    }
                    return any;
                case NotNode not:
                    var negated = Evaluate(not.Part).ToArray();
                    for (var i = 0; i < _words; i++) negated[i] = ~negated[i];
                    return negated;
                default:
                    throw new ArgumentOutOfRangeException(nameof(node));
            }
        }

        private ulong[] Field(FieldNode field) => field.Field switch
        {
            "id" => index._slotOfId.TryGetValue(field.Value, out var slot) ? Of([slot]) : new ulong[_words],
            "name" => Where(package => package.Name == field.Value),
            "title" => Hits(field.Value).Title,
            "notes" => Hits(field.Value).Notes,
            "tags" => Of(index._tags.GetValueOrDefault(field.Value)),
            "organization" => Of(index._organizationIdOfName.TryGetValue(field.Value, out var org) ? index._owners.GetValueOrDefault(org) : null),
            "owner_org" => Of(index._owners.GetValueOrDefault(field.Value)),
            "license_id" => Of(index._licenses.GetValueOrDefault(field.Value)),
            "res_format" => Of(index._formats.GetValueOrDefault(field.Value)),
            "state" => Where(package => package.State == field.Value),
            "groups" => new ulong[_words],
            _ => throw new FormatException($"Unknown field '{field.Field}' in the query."),
        };

        /// <summary>
        /// Where the word is found: the slots in the postings of all its three-character runs (or of the word itself when
        /// shorter), each confirmed in its texts. Kept for the next searches until the index changes.
        /// </summary>
        private WordHits Hits(string word)
        {
            var lower = word.ToLowerInvariant();
            if (index._wordHits.TryGetValue(lower, out var known)) return known;
            var hits = new WordHits(Candidates(lower), new ulong[_words], new ulong[_words], new ulong[_words]);
            foreach (var slot in Slots(hits.Any))
            {
                var package = index._slots[slot];
                var (title, tags, notes) = package is null ? (false, false, false) : (Holds(package.TitleText, lower), Holds(package.TagsText, lower), Holds(package.NotesText, lower));
                if (title) Set(hits.Title, slot);
                if (tags) Set(hits.Tags, slot);
                if (notes) Set(hits.Notes, slot);
                if (!(title || tags || notes)) Clear(hits.Any, slot);
            }
            if (index._wordHits.Count >= MaxWords) index._wordHits.Clear();
            return index._wordHits.GetOrAdd(lower, hits);
        }

        private static bool Holds(string text, string word) => text.Contains(word, StringComparison.Ordinal);

        /// <summary>The slots in every posting of the word's runs, the shortest postings first.</summary>
        private ulong[] Candidates(string lower)
        {
            var postings = new List<List<int>>();
            var length = Math.Min(MaxGram, lower.Length);
            for (var at = 0; at + length <= lower.Length; at++)
            {
                if (!index._grams.TryGetValue(Gram(lower.AsSpan(at, length)), out var posting)) return new ulong[_words];
                postings.Add(posting);
            }
            postings.Sort((a, b) => a.Count.CompareTo(b.Count));
            var candidates = Of(postings[0]);
            var marked = new ulong[_words];
            foreach (var posting in postings.Skip(1))
            {
                Array.Clear(marked);
                foreach (var slot in posting) Set(marked, slot);
                And(candidates, marked);
            }
            return candidates;
        }

        /// <summary>The relevance of each matching slot (by slot): a word found in the title counts 4, in the tags 2, in the description 1.</summary>
        private int[] Scores(List<int> slots, List<string> words)
        {
            var hits = words.Select(Hits).ToArray();
            var scores = new int[index._slots.Count];
            foreach (var slot in slots)
            {
                var score = 0;
                foreach (var hit in hits) score += (IsSet(hit.Title, slot) ? 4 : 0) + (IsSet(hit.Tags, slot) ? 2 : 0) + (IsSet(hit.Notes, slot) ? 1 : 0);
                scores[slot] = score;
            }
            return scores;
        }

        private static void Collect(QueryNode node, List<string> words)
        {
            switch (node)
            {
                case TextNode text: words.Add(text.Text); break;
                case AndNode and: foreach (var part in and.Parts) Collect(part, words); break;
                case OrNode or: foreach (var part in or.Parts) Collect(part, words); break;
            }
        }

        /// <summary>
        /// The slots of the page in the search's order (then the order the packages were created in). Without a score to sort
        /// on, the page is read off the index's order of every package for those keys; else the matches are ranked.
        /// </summary>
        private IEnumerable<int> Page(ulong[] matches, long count)
        {
            var words = new List<string>();
            Collect(search.Query, words);
            // Without words to score every package scores the same: the other keys decide.
            var keys = search.Sort.Where(key => key.Field != "score" || words.Count > 0).ToArray();
            if (count > SmallResult && keys.All(key => key.Field != "score") && index.OrderOf(keys) is { } order)
            {
                return order.Where(slot => IsSet(matches, slot)).Skip(search.Start).Take(search.Rows);
            }
            var slots = Slots(matches);
            var comparer = new SlotOrder(index, keys, keys.Any(key => key.Field == "score") ? Scores(slots, words) : null);
            var wanted = (int)Math.Min((long)search.Start + search.Rows, count);
            if (wanted >= count / 2)
            {
                slots.Sort(comparer);
                return slots.Skip(search.Start).Take(search.Rows);
            }
            // The best `wanted` slots: the queue's first one is the worst of those kept.
            var best = new PriorityQueue<int, int>(wanted + 1, Comparer<int>.Create((a, b) => comparer.Compare(b, a)));
            foreach (var slot in slots)
            {
                if (best.Count < wanted) best.Enqueue(slot, slot);
                else best.EnqueueDequeue(slot, slot);
            }
            var page = new int[best.Count];
            for (var i = page.Length - 1; i >= 0; i--) page[i] = best.Dequeue();
            return page.Skip(search.Start);
        }

        private IReadOnlyList<KeyValuePair<string, long>> Facet(string field, ulong[] matches)
        {
            var counts = field switch
            {
                "tags" => new Dictionary<string, long>(StringComparer.Ordinal),
                "res_format" => new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase),
                "organization" or "license_id" => new Dictionary<string, long>(StringComparer.Ordinal),
                _ => throw new FormatException($"Facets are not available for the field '{field}'."),
            };
            foreach (var slot in Slots(matches))
            {
                var package = index._slots[slot]!;
                switch (field)
                {
                    case "tags":
                        foreach (var tag in package.Tags) Count(tag);
                        break;
                    case "res_format":
                        foreach (var format in package.Formats) Count(format);
                        break;
                    case "organization" when package.OwnerOrg is { } owner && index._organizations.TryGetValue(owner, out var organization):
                        Count(organization.Name);
                        break;
                    case "license_id" when package.LicenseId is { } license:
                        Count(license);
                        break;
                }
            }
            return [.. counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(search.FacetLimit)];

            void Count(string value) => counts[value] = counts.GetValueOrDefault(value) + 1;
        }

        private List<int> Slots(ulong[] bits)
        {
            var slots = new List<int>();
            for (var i = 0; i < bits.Length; i++)
            {
                for (var word = bits[i]; word != 0; word &= word - 1) slots.Add((i << 6) + BitOperations.TrailingZeroCount(word));
            }
            return slots;
        }

        private ulong[] All()
        {
            var all = new ulong[_words];
            Array.Fill(all, ulong.MaxValue);
            return all;
        }

        private ulong[] Of(IEnumerable<int>? slots)
        {
            var bits = new ulong[_words];
            foreach (var slot in slots ?? []) Set(bits, slot);
            return bits;
        }

        private ulong[] Where(Func<IndexedEntry, bool> predicate)
        {
            var bits = new ulong[_words];
            for (var slot = 0; slot < index._slots.Count; slot++)
            {
                if (index._slots[slot] is { } package && predicate(package)) Set(bits, slot);
            }
            return bits;
        }

        private void And(ulong[] into, ulong[] bits)
        {
            for (var i = 0; i < _words; i++) into[i] &= bits[i];
        }
    }

    /// <summary>The order of sort keys on the slots' packages (a score with <paramref name="scores"/> only), then their creation order (seq).</summary>
    private sealed class SlotOrder(CatalogIndex index, SortKey[] keys, int[]? scores) : IComparer<int>
    {
        private enum Key { Score, Name, Title, Created, Modified }

        private readonly (Key Key, bool Descending)[] _keys = [.. keys.Select(key => (key.Field switch
        {
            "score" => Key.Score,
            "name" => Key.Name,
            "title" => Key.Title,
            "metadata_created" => Key.Created,
            _ => Key.Modified,
        }, key.Descending))];

        public int Compare(int a, int b)
        {
            var (x, y) = (index._slots[a]!, index._slots[b]!);
            foreach (var (key, descending) in _keys)
            {
                var order = key switch
                {
                    Key.Score => scores![a].CompareTo(scores[b]),
                    Key.Name => string.CompareOrdinal(x.Name, y.Name),
                    Key.Title => string.CompareOrdinal(x.Title, y.Title),
                    Key.Created => x.CreatedTicks.CompareTo(y.CreatedTicks),
                    _ => x.ModifiedTicks.CompareTo(y.ModifiedTicks),
                };
                if (order != 0) return descending ? -order : order;
            }
            return x.Seq.CompareTo(y.Seq);
        }
    }
}
