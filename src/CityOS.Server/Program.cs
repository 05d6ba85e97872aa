using CityOS.Server;

return await CityOsCommand.RunAsync(args);

public partial class Program;
