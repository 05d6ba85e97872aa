using System.Text.Json.Nodes;

namespace CityOS.Catalog;

/// <summary>The licences a dataset may name (license_list), with the ones Japanese open data uses.</summary>
public static class Licenses
{
    public sealed record License(string Id, string Title, string Url, bool OdConformance);

    public static readonly IReadOnlyList<License> All =
    [
        new("cc-by-4.0", "Creative Commons Attribution 4.0 (CC BY 4.0)", "https://creativecommons.org/licenses/by/4.0/", true),
        new("cc-by-sa-4.0", "Creative Commons Attribution Share-Alike 4.0 (CC BY-SA 4.0)", "https://creativecommons.org/licenses/by-sa/4.0/", true),
        new("cc-zero", "Creative Commons CCZero (CC0 1.0)", "https://creativecommons.org/publicdomain/zero/1.0/", true),
        new("gsl-2.0", "政府標準利用規約（第2.0版） / Public Data License (Version 2.0)", "https://www.digital.go.jp/resources/open_data/public_data_license_v2.0", true),
        new("odc-odbl", "Open Data Commons Open Database License (ODbL)", "https://opendatacommons.org/licenses/odbl/1-0/", true),
        new("other-closed", "Other (Not Open)", "", false),
        new("notspecified", "License not specified", "", false),
    ];

    public static License? Find(string? id) => All.FirstOrDefault(l => l.Id == id);

    /// <summary>The dictionary license_list returns for one licence (CKAN 2.10's fields).</summary>
    public static JsonObject ToJson(License license) => new()
    {
        ["domain_content"] = false,
        ["domain_data"] = false,
        ["domain_software"] = false,
        ["family"] = "",
        ["id"] = license.Id,
        ["maintainer"] = "",
        ["od_conformance"] = license.OdConformance ? "approved" : "not reviewed",
        ["osd_conformance"] = "not reviewed",
        ["status"] = "active",
        ["title"] = license.Title,
        ["url"] = license.Url,
    };
}
