namespace CityOS.Mqtt; public static class Placeholder;
