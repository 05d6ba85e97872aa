namespace CityOS.Portal.Pages;

/// <summary>
/// Every text of the portal's pages, in one language. Each text is a required member, so a page cannot show a string that
/// one of the two languages (<see cref="Ja"/>, <see cref="En"/>) lacks: the compiler refuses the dictionary first.
/// </summary>
public sealed record PortalText
{
    public required string Lang { get; init; }
    public required string LanguageName { get; init; }
    public required string SiteName { get; init; }
    public required string SkipToContent { get; init; }
    public required string MainNavigation { get; init; }
    public required string LanguageSwitch { get; init; }
    public required string Home { get; init; }
    public required string Apis { get; init; }
    public required string Applications { get; init; }
    public required string Explorer { get; init; }
    public required string Admin { get; init; }
    public required string SignIn { get; init; }
    public required string SignOut { get; init; }
    public required string SignedInAs { get; init; }
    public required string Footer { get; init; }

    public required string HomeTitle { get; init; }
    public required string HomeIntro { get; init; }
    public required string HomeApis { get; init; }
    public required string HomeExplorer { get; init; }
    public required string HomeAdmin { get; init; }
    public required string HomeSignInHint { get; init; }

    public required string ApisTitle { get; init; }
    public required string ApisIntro { get; init; }
    public required string Operations { get; init; }
    public required string OpenReference { get; init; }
    public required string OpenApiDocument { get; init; }
    public required string Method { get; init; }
    public required string Path { get; init; }
    public required string Summary { get; init; }

    public required string AppsTitle { get; init; }
    public required string AppsIntro { get; init; }
    public required string AppName { get; init; }
    public required string RedirectUri { get; init; }
    public required string RedirectUriHint { get; init; }
    public required string AppConfidential { get; init; }
    public required string Register { get; init; }
    public required string AppRegistered { get; init; }
    public required string ClientId { get; init; }
    public required string ClientSecret { get; init; }
    public required string SecretOnce { get; init; }
    public required string NoApps { get; init; }
    public required string YourApps { get; init; }
    public required string RegisterApp { get; init; }
    public required string Created { get; init; }
    public required string Kind { get; init; }
    public required string PublicClient { get; init; }
    public required string ConfidentialClient { get; init; }
    public required string DeleteApp { get; init; }
    public required string AppDeleted { get; init; }
    public required string Actions { get; init; }

    public required string ExplorerTitle { get; init; }
    public required string ExplorerIntro { get; init; }
    public required string Tenant { get; init; }
    public required string DefaultTenant { get; init; }
    public required string Show { get; init; }
    public required string EntityTypes { get; init; }
    public required string NoTypes { get; init; }
    public required string EntitiesOfType { get; init; }
    public required string NoEntities { get; init; }
    public required string QueryFilter { get; init; }
    public required string QueryFilterHint { get; init; }
    public required string Filter { get; init; }
    public required string PageRange { get; init; }
    public required string PageRangeMore { get; init; }
    public required string PageRangeOpen { get; init; }
    public required string EntityCount { get; init; }
    public required string EntityCountMore { get; init; }
    public required string FirstPage { get; init; }
    public required string Previous { get; init; }
    public required string Next { get; init; }
    public required string Pagination { get; init; }
    public required string EntityId { get; init; }
    public required string EntityType { get; init; }
    public required string Attributes { get; init; }
    public required string Attribute { get; init; }
    public required string AttributeKind { get; init; }
    public required string Value { get; init; }
    public required string ObservedAt { get; init; }
    public required string Relationships { get; init; }
    public required string History { get; init; }
    public required string HistoryOf { get; init; }
    public required string NoHistory { get; init; }
    public required string Map { get; init; }
    public required string MapOf { get; init; }
    public required string NoLocation { get; init; }
    public required string LiveUpdates { get; init; }
    public required string LiveConnecting { get; init; }
    public required string LiveOn { get; init; }
    public required string LiveOff { get; init; }
    public required string AsJson { get; init; }

    public required string AdminTitle { get; init; }
    public required string AdminIntro { get; init; }
    public required string Accounts { get; init; }
    public required string CreateAccount { get; init; }
    public required string Username { get; init; }
    public required string Password { get; init; }
    public required string PasswordHint { get; init; }
    public required string DisplayName { get; init; }
    public required string Roles { get; init; }
    public required string Role { get; init; }
    public required string GrantRole { get; init; }
    public required string AccountCreated { get; init; }
    public required string RoleGranted { get; init; }
    public required string Disabled { get; init; }
    public required string Subscriptions { get; init; }
    public required string NoSubscriptions { get; init; }
    public required string Status { get; init; }
    public required string Endpoint { get; init; }
    public required string LastSuccess { get; init; }
    public required string LastFailure { get; init; }
    public required string TimesSent { get; init; }
    public required string TimesFailed { get; init; }
    public required string Failing { get; init; }
    public required string Healthy { get; init; }
    public required string Description { get; init; }

    public required string ErrorTitle { get; init; }
    public required string NotFound { get; init; }
    public required string Forbidden { get; init; }
    public required string SignInRequired { get; init; }
    public required string BadRequest { get; init; }
    public required string FormExpired { get; init; }

    public required string ApiConsole { get; init; }
    public required string FindApi { get; init; }
    public required string Try { get; init; }
    public required string RequestPath { get; init; }
    public required string RequestBody { get; init; }
    public required string Send { get; init; }
    public required string Response { get; init; }
    public required string ResponseStatus { get; init; }
    public required string Tag { get; init; }

    public static readonly PortalText Ja = new()
    {
        Lang = "ja",
        LanguageName = "日本語",
        SiteName = "CityOS ポータル",
        SkipToContent = "本文へ移動",
        MainNavigation = "メインメニュー",
        LanguageSwitch = "言語",
        Home = "ホーム",
        Apis = "API 一覧",
        Applications = "マイアプリ",
        Explorer = "データエクスプローラー",
        Admin = "管理コンソール",
        SignIn = "サインイン",
        SignOut = "サインアウト",
        SignedInAs = "サインイン中: {0}",
        Footer = "CityOS — オープンソースの都市OS",
        HomeTitle = "CityOS へようこそ",
        HomeIntro = "都市のデータとサービスの基盤です。API を探して試し、都市のデータを地図とグラフで見て、運用を管理できます。",
        HomeApis = "CityOS の API を探し、API リファレンスのコンソールから呼び出します。",
        HomeExplorer = "テナントのエンティティを種類ごとに見て、履歴と地図とライブの値を確認します。",
        HomeAdmin = "アカウントとロール、サブスクリプションの状態を管理します。",
        HomeSignInHint = "アプリの登録や管理にはサインインしてください。",
        ApisTitle = "API 一覧",
        ApisIntro = "OpenAPI 3.1 の記述から作った一覧です。各 API のリファレンスとコンソールで試せます。",
        Operations = "{0} 件の操作",
        OpenReference = "リファレンスとコンソールを開く",
        OpenApiDocument = "OpenAPI 記述 (JSON)",
        Method = "メソッド",
        Path = "パス",
        Summary = "概要",
        AppsTitle = "マイアプリ",
        AppsIntro = "CityOS の API を使うアプリを OAuth クライアントとして登録します (認可コード + PKCE)。",
        AppName = "アプリ名",
        RedirectUri = "リダイレクト URI",
        RedirectUriHint = "例: https://app.example.jp/callback",
        AppConfidential = "機密クライアント (サーバーでシークレットを保管できる)",
        Register = "登録する",
        AppRegistered = "アプリを登録しました",
        ClientId = "クライアント ID",
        ClientSecret = "クライアントシークレット",
        SecretOnce = "シークレットは今回だけ表示されます。安全な場所に保管してください。",
        NoApps = "登録したアプリはまだありません。",
        YourApps = "登録済みのアプリ",
        RegisterApp = "アプリを登録",
        Created = "登録日時",
        DeleteApp = "削除",
        AppDeleted = "アプリ {0} を削除しました。",
        Actions = "操作",
        Kind = "種別",
        PublicClient = "公開クライアント",
        ConfidentialClient = "機密クライアント",
        ExplorerTitle = "データエクスプローラー",
        ExplorerIntro = "テナントを選び、エンティティの種類から一覧と詳細を開きます。",
        Tenant = "テナント",
        DefaultTenant = "既定のテナント",
        Show = "表示",
        EntityTypes = "エンティティの種類",
        NoTypes = "このテナントにはエンティティがありません。",
        EntitiesOfType = "種類 {0} のエンティティ",
        NoEntities = "該当するエンティティはありません。",
        QueryFilter = "条件 (NGSI-LD q)",
        QueryFilterHint = "例: temperature>20",
        Filter = "絞り込む",
        PageRange = "{2:N0} 件中 {0:N0}–{1:N0} 件",
        PageRangeMore = "{0:N0}–{1:N0} 件目（全 {2:N0} 件超、件数は {2:N0} 件まで数えています）",
        PageRangeOpen = "{0:N0}–{1:N0} 件目",
        EntityCount = "{0:N0} 件",
        EntityCountMore = "{0:N0} 件超（件数は {0:N0} 件まで数えています）",
        FirstPage = "最初のページ",
        Previous = "前へ",
        Next = "次へ",
        Pagination = "ページ送り",
        EntityId = "ID",
        EntityType = "種類",
        Attributes = "属性",
        Attribute = "属性名",
        AttributeKind = "型",
        Value = "値",
        ObservedAt = "観測日時",
        Relationships = "関係",
        History = "履歴",
        HistoryOf = "{0} の履歴",
        NoHistory = "数値の履歴はまだありません。",
        Map = "地図",
        MapOf = "{0} の位置",
        NoLocation = "位置情報はありません。",
        LiveUpdates = "ライブ更新",
        LiveConnecting = "接続中…",
        LiveOn = "値の変化をリアルタイムで表示しています。",
        LiveOff = "ライブ更新が切れました。再読み込みしてください。",
        AsJson = "API で取得 (JSON)",
        AdminTitle = "管理コンソール",
        AdminIntro = "アカウント、ロール、サブスクリプションを管理します。変更は API と同じポリシーで確認されます。",
        Accounts = "アカウント",
        CreateAccount = "アカウントを作成",
        Username = "ユーザー名",
        Password = "パスワード",
        PasswordHint = "12 文字以上",
        DisplayName = "表示名",
        Roles = "ロール",
        Role = "ロール",
        GrantRole = "ロールを付与",
        AccountCreated = "アカウント {0} を作成しました。",
        RoleGranted = "{0} にロール {1} を付与しました。",
        Disabled = "無効",
        Subscriptions = "サブスクリプション",
        NoSubscriptions = "サブスクリプションはありません。",
        Status = "状態",
        Endpoint = "通知先",
        LastSuccess = "最終成功",
        LastFailure = "最終失敗",
        TimesSent = "送信回数",
        TimesFailed = "失敗回数",
        Failing = "失敗中",
        Healthy = "正常",
        Description = "説明",
        ErrorTitle = "エラー",
        NotFound = "ページまたはデータが見つかりません。",
        Forbidden = "このページを見る権限がありません。",
        SignInRequired = "このページにはサインインが必要です。",
        BadRequest = "入力に誤りがあります: {0}",
        FormExpired = "フォームの有効期限が切れました。もう一度送信してください。",
        ApiConsole = "API コンソール",
        FindApi = "API を探す",
        Try = "試す",
        RequestPath = "パスとクエリ",
        RequestBody = "リクエスト本文 (JSON)",
        Send = "送信",
        Response = "レスポンス",
        ResponseStatus = "ステータス {0}",
        Tag = "分類",
    };

    public static readonly PortalText En = new()
    {
        Lang = "en",
        LanguageName = "English",
        SiteName = "CityOS Portal",
        SkipToContent = "Skip to content",
        MainNavigation = "Main menu",
        LanguageSwitch = "Language",
        Home = "Home",
        Apis = "APIs",
        Applications = "My applications",
        Explorer = "Data explorer",
        Admin = "Admin console",
        SignIn = "Sign in",
        SignOut = "Sign out",
        SignedInAs = "Signed in as {0}",
        Footer = "CityOS — the open-source City OS",
        HomeTitle = "Welcome to CityOS",
        HomeIntro = "The city's data and service platform: find and try its APIs, see the city's data on maps and charts, and run the installation.",
        HomeApis = "Find CityOS's APIs and call them from the API reference console.",
        HomeExplorer = "Browse a tenant's entities by type, with their history, their place on the map and live values.",
        HomeAdmin = "Manage accounts and roles, and watch the status of subscriptions.",
        HomeSignInHint = "Sign in to register applications or to administer.",
        ApisTitle = "APIs",
        ApisIntro = "Built from the OpenAPI 3.1 description. Open each API's reference and try it in the console.",
        Operations = "{0} operations",
        OpenReference = "Open reference and console",
        OpenApiDocument = "OpenAPI description (JSON)",
        Method = "Method",
        Path = "Path",
        Summary = "Summary",
        AppsTitle = "My applications",
        AppsIntro = "Register an application that uses CityOS's APIs as an OAuth client (authorization code + PKCE).",
        AppName = "Application name",
        RedirectUri = "Redirect URI",
        RedirectUriHint = "e.g. https://app.example.org/callback",
        AppConfidential = "Confidential client (a server that can keep a secret)",
        Register = "Register",
        AppRegistered = "Application registered",
        ClientId = "Client ID",
        ClientSecret = "Client secret",
        SecretOnce = "The secret is shown this once. Keep it somewhere safe.",
        NoApps = "You have not registered an application yet.",
        YourApps = "Your applications",
        RegisterApp = "Register an application",
        Created = "Registered",
        DeleteApp = "Delete",
        AppDeleted = "Application {0} deleted.",
        Actions = "Actions",
        Kind = "Kind",
        PublicClient = "Public client",
        ConfidentialClient = "Confidential client",
        ExplorerTitle = "Data explorer",
        ExplorerIntro = "Choose a tenant, then open the entities of a type and each entity.",
        Tenant = "Tenant",
        DefaultTenant = "Default tenant",
        Show = "Show",
        EntityTypes = "Entity types",
        NoTypes = "This tenant has no entities.",
        EntitiesOfType = "Entities of type {0}",
        NoEntities = "No entity matches.",
        QueryFilter = "Condition (NGSI-LD q)",
        QueryFilterHint = "e.g. temperature>20",
        Filter = "Filter",
        PageRange = "{0:N0}–{1:N0} of {2:N0}",
        PageRangeMore = "{0:N0}–{1:N0} of more than {2:N0} (counted up to {2:N0})",
        PageRangeOpen = "{0:N0}–{1:N0}",
        EntityCount = "{0:N0} entities",
        EntityCountMore = "more than {0:N0} entities (counted up to {0:N0})",
        FirstPage = "First page",
        Previous = "Previous",
        Next = "Next",
        Pagination = "Pages",
        EntityId = "Id",
        EntityType = "Type",
        Attributes = "Attributes",
        Attribute = "Attribute",
        AttributeKind = "Kind",
        Value = "Value",
        ObservedAt = "Observed at",
        Relationships = "Relationships",
        History = "History",
        HistoryOf = "History of {0}",
        NoHistory = "No numeric history yet.",
        Map = "Map",
        MapOf = "Location of {0}",
        NoLocation = "No location.",
        LiveUpdates = "Live updates",
        LiveConnecting = "Connecting…",
        LiveOn = "Values change here as they change in the city.",
        LiveOff = "Live updates stopped. Reload the page.",
        AsJson = "Get it from the API (JSON)",
        AdminTitle = "Admin console",
        AdminIntro = "Manage accounts, roles and subscriptions. Every change is checked by the same policies as an API call.",
        Accounts = "Accounts",
        CreateAccount = "Create an account",
        Username = "User name",
        Password = "Password",
        PasswordHint = "At least 12 characters",
        DisplayName = "Display name",
        Roles = "Roles",
        Role = "Role",
        GrantRole = "Give a role",
        AccountCreated = "Account {0} created.",
        RoleGranted = "{0} now has role {1}.",
        Disabled = "Disabled",
        Subscriptions = "Subscriptions",
        NoSubscriptions = "No subscriptions.",
        Status = "Status",
        Endpoint = "Endpoint",
        LastSuccess = "Last success",
        LastFailure = "Last failure",
        TimesSent = "Sent",
        TimesFailed = "Failed",
        Failing = "Failing",
        Healthy = "Healthy",
        Description = "Description",
        ErrorTitle = "Error",
        NotFound = "The page or data was not found.",
        Forbidden = "You may not see this page.",
        SignInRequired = "This page needs you to sign in.",
        BadRequest = "The input is not right: {0}",
        FormExpired = "The form expired. Please send it again.",
        ApiConsole = "API console",
        FindApi = "Find an API",
        Try = "Try it",
        RequestPath = "Path and query",
        RequestBody = "Request body (JSON)",
        Send = "Send",
        Response = "Response",
        ResponseStatus = "Status {0}",
        Tag = "Group",
    };

    public static readonly IReadOnlyList<PortalText> All = [Ja, En];
}
