using Npgsql;

namespace ScaiVault.Emulator.Api;

/// <summary>Turns every failure into the error envelope, so clients never see an HTML page or an empty 500.</summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (ApiException e)
        {
            await WriteIfPossibleAsync(context, e);
        }
        catch (BadHttpRequestException e)
        {
            await WriteIfPossibleAsync(context, new ApiException(e.StatusCode, ErrorCodes.ForStatus(e.StatusCode), e.Message));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (or a drop fault aborted the connection): nobody to answer.
        }
        catch (NpgsqlException e)
        {
            // Target-database failures are wrapped by the dynamic engine code, so a bare Npgsql error is the state store.
            LogStateStoreFailure(logger, e.GetType().Name, e.Message);
            await WriteIfPossibleAsync(context, ApiException.Unavailable("The emulator's state store is unavailable."));
        }
#pragma warning disable CA1031 // The last line of defence: anything else becomes a 500 in the envelope.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogUnhandled(logger, e);
            await WriteIfPossibleAsync(context, ApiException.Internal("An unexpected error occurred."));
        }
    }

    private static async Task WriteIfPossibleAsync(HttpContext context, ApiException error)
    {
        if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        // Headers set on the way in (X-Request-ID, X-RateLimit-*) stay; nothing was written yet.
        await ApiErrorWriter.WriteAsync(context, error);
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "State store failure ({ExceptionType}): {Reason}")]
    private static partial void LogStateStoreFailure(ILogger logger, string exceptionType, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Unhandled exception")]
    private static partial void LogUnhandled(ILogger logger, Exception exception);
}
